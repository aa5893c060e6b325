// Unit tests must not reach the network: anything but loopback fails loudly.
import net from 'node:net';

const original = net.Socket.prototype.connect;
const LOOPBACK = /^(127\.|::1$|localhost$)/;

net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const [first] = args;
  const host =
    typeof first === 'object' && first !== null && 'host' in first
      ? String((first as { host?: string }).host ?? 'localhost')
      : typeof args[1] === 'string'
        ? args[1]
        : 'localhost';
  const isPath = typeof first === 'object' && first !== null && 'path' in first;
  if (!isPath && !LOOPBACK.test(host)) {
    throw new Error(`unit tests may not reach the network (tried ${host})`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
