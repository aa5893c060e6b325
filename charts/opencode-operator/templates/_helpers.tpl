{{- define "opencode-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "opencode-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "opencode-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opencode-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "opencode-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "opencode-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "opencode-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "opencode-operator.metricsService" -}}
{{- printf "%s-metrics" (include "opencode-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "opencode-operator.runnerNamespaces" -}}
{{- $ns := .Values.runnerNamespaces | default .Values.watchNamespaces | default (list .Release.Namespace) -}}
{{- $ns | uniq | toJson -}}
{{- end -}}

{{/*
The operator's rules, least privilege; the same list as config/rbac/role.yaml
(test/helm compares them).
*/}}
{{- define "opencode-operator.managerRules" -}}
- apiGroups: [opencode.dev]
  resources: [improvementtargets, improvementruns]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [opencode.dev]
  resources: [improvementtargets/status, improvementruns/status]
  verbs: [get, update, patch]
- apiGroups: [opencode.dev]
  resources: [improvementtargets/finalizers]
  verbs: [update]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: ['', events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: ['']
  resources: [secrets]
  verbs: [get]
{{- end -}}
