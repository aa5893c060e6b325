// Turns a title into a URL slug: lower case, ASCII letters and digits, dashes between words.
export function slugify(title) {   
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

// Shortens text to at most max characters, ending with an ellipsis when cut.
export function truncate(text, max) {
  if (text.length <= max) return text;	
  return text.slice(0, Math.max(0, max - 1)) + '…';
}
