{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchyard
{{- end }}

{{- define "switchyard.selector" -}}
app.kubernetes.io/name: {{ include "switchyard.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The services: values key → --target and component name. */}}
{{- define "switchyard.components" -}}
router: router
agentPresence: agent-presence
mediaGateway: media-gateway
adminApi: admin-api
relay: relay
{{- end }}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "switchyard.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "switchyard.secretName" -}}
{{ include "switchyard.fullname" . }}-env
{{- end }}

{{- define "switchyard.configSecretName" -}}
{{- if .Values.existingConfigSecret }}{{ .Values.existingConfigSecret }}{{- else }}{{ include "switchyard.fullname" . }}-config{{- end }}
{{- end }}

{{- define "switchyard.hasConfig" -}}
{{- if or .Values.existingConfigSecret .Values.config .Values.admin.tokens }}true{{- end }}
{{- end }}

{{- define "switchyard.natsUrl" -}}
{{- if .Values.nats.enabled -}}
nats://{{ include "switchyard.fullname" . }}-nats:4222
{{- else -}}
{{ .Values.nats.url }}
{{- end }}
{{- end }}

{{/* Least-privilege NATS users (the chart's own NATS only). */}}
{{- define "switchyard.natsLeastPrivilege" -}}
{{- if and .Values.nats.enabled .Values.nats.leastPrivilege }}true{{ end }}
{{- end }}

{{- define "switchyard.natsUsersSecret" -}}
{{ include "switchyard.fullname" . }}-nats-users
{{- end }}

{{/* The roles with a NATS user: admin (setup) and one per service (the --target names). */}}
{{- define "switchyard.natsRoles" -}}
- admin
- router
- agent-presence
- media-gateway
- admin-api
- relay
{{- end }}
