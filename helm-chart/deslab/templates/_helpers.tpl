{{/* Names ------------------------------------------------------------------------------ */}}

{{- define "deslab.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "deslab.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "deslab.hub.fullname" -}}{{ include "deslab.fullname" . }}-hub{{- end }}
{{- define "deslab.proxy.fullname" -}}{{ include "deslab.fullname" . }}-proxy{{- end }}
{{- define "deslab.proxyApi.fullname" -}}{{ include "deslab.fullname" . }}-proxy-api{{- end }}
{{- define "deslab.proxyPublic.fullname" -}}{{ include "deslab.fullname" . }}-proxy-public{{- end }}
{{- define "deslab.jobs.fullname" -}}{{ include "deslab.fullname" . }}-jobs{{- end }}
{{- define "deslab.singleuser.fullname" -}}{{ include "deslab.fullname" . }}-singleuser{{- end }}
{{- define "deslab.dask.fullname" -}}{{ include "deslab.fullname" . }}-dask{{- end }}
{{/* Cluster-scoped objects (admission policies, the PriorityClass) carry the namespace. */}}
{{- define "deslab.dask.clusterScopedName" -}}{{ .Release.Namespace }}-{{ include "deslab.dask.fullname" . }}{{- end }}
{{/* The service account the Dask pods run as: no Kubernetes rights, no token mounted. */}}
{{- define "deslab.dask.serviceAccount" -}}{{ include "deslab.dask.fullname" . }}-pods{{- end }}
{{- define "deslab.dask.image" -}}{{ .Values.dask.image | default (include "deslab.notebook.image" .) }}{{- end }}

{{/* Labels ----------------------------------------------------------------------------- */}}

{{- define "deslab.selectorLabels" -}}
app.kubernetes.io/name: {{ include "deslab.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "deslab.labels" -}}
{{ include "deslab.selectorLabels" . }}
app.kubernetes.io/part-of: deslab
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Labels the user pods carry (KubeSpawner sets app.kubernetes.io/component). */}}
{{- define "deslab.singleuser.selectorLabels" -}}
app.kubernetes.io/component: singleuser-server
deslab.org/release: {{ .Release.Name }}
{{- end }}

{{/* Images ----------------------------------------------------------------------------- */}}

{{- /* The reference of an image: repository, then :tag (default: the chart's appVersion, the
       version `make images` builds from the same commit as the chart), then @digest if set.
       Called with (dict "image" <image values> "root" $). */}}
{{- define "deslab.imageRef" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" .image.repository $tag }}
{{- with .image.digest }}@{{ . }}{{ end }}
{{- end }}

{{- define "deslab.hub.image" -}}
{{- include "deslab.imageRef" (dict "image" .Values.hub.image "root" .) }}
{{- end }}

{{- define "deslab.proxy.image" -}}
{{- include "deslab.imageRef" (dict "image" .Values.proxy.image "root" .) }}
{{- end }}

{{- /* The job service runs from the hub image unless jobs.image names another. */}}
{{- define "deslab.jobs.image" -}}
{{- if .Values.jobs.image.repository }}
{{- include "deslab.imageRef" (dict "image" .Values.jobs.image "root" .) }}
{{- else }}
{{- include "deslab.hub.image" . }}
{{- end }}
{{- end }}

{{- define "deslab.notebook.image" -}}
{{- include "deslab.imageRef" (dict "image" .Values.singleuser.image "root" .) }}
{{- end }}

{{- define "deslab.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* Security --------------------------------------------------------------------------- */}}

{{- define "deslab.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod security context for uid $uid (dict "uid" .. "gid" ..). */}}
{{- define "deslab.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid }}
fsGroup: {{ .gid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Secrets ---------------------------------------------------------------------------- */}}

{{- define "deslab.hub.secretName" -}}
{{- .Values.hub.existingSecret | default (printf "%s-secret" (include "deslab.hub.fullname" .)) }}
{{- end }}

{{/* Name of the Secret holding the catalog password ("" when there is none). */}}
{{- define "deslab.catalog.secretName" -}}
{{- if .Values.catalog.oracle.existingSecret }}
{{- .Values.catalog.oracle.existingSecret }}
{{- else if .Values.catalog.oracle.password }}
{{- printf "%s-catalog" (include "deslab.fullname" .) }}
{{- end }}
{{- end }}

{{- define "deslab.catalog.secretKey" -}}
{{- if .Values.catalog.oracle.existingSecret }}{{ .Values.catalog.oracle.existingSecretKey }}{{ else }}password{{ end }}
{{- end }}

{{- define "deslab.oauth.secretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-oauth" (include "deslab.fullname" .)) }}
{{- end }}

{{- define "deslab.hubDb.secretName" -}}
{{- if .Values.hub.db.existingSecret }}
{{- .Values.hub.db.existingSecret }}
{{- else if .Values.hub.db.password }}
{{- printf "%s-db" (include "deslab.hub.fullname" .) }}
{{- end }}
{{- end }}

{{- define "deslab.hubDb.secretKey" -}}
{{- if .Values.hub.db.existingSecret }}{{ .Values.hub.db.existingSecretKey }}{{ else }}password{{ end }}
{{- end }}

{{- define "deslab.jobsDb.secretName" -}}
{{- if .Values.jobs.db.existingSecret }}
{{- .Values.jobs.db.existingSecret }}
{{- else if .Values.jobs.db.password }}
{{- printf "%s-db" (include "deslab.jobs.fullname" .) }}
{{- end }}
{{- end }}

{{- define "deslab.jobsDb.secretKey" -}}
{{- if .Values.jobs.db.existingSecret }}{{ .Values.jobs.db.existingSecretKey }}{{ else }}password{{ end }}
{{- end }}

{{- define "deslab.smtp.secretName" -}}
{{- if .Values.jobs.smtp.existingSecret }}
{{- .Values.jobs.smtp.existingSecret }}
{{- else if .Values.jobs.smtp.password }}
{{- printf "%s-smtp" (include "deslab.jobs.fullname" .) }}
{{- end }}
{{- end }}

{{- define "deslab.smtp.secretKey" -}}
{{- if .Values.jobs.smtp.existingSecret }}{{ .Values.jobs.smtp.existingSecretKey }}{{ else }}password{{ end }}
{{- end }}

{{/* The catalog URL user servers and job workers get (no password, ever). */}}
{{- define "deslab.catalog.url" -}}
{{- if .Values.catalog.url }}
{{- .Values.catalog.url }}
{{- else if .Values.catalog.oracle.host }}
{{- $o := .Values.catalog.oracle }}
{{- printf "oracle://%s@%s:%v/%s" $o.user $o.host $o.port $o.serviceName }}
{{- end }}
{{- end }}

{{- define "deslab.jobs.url" -}}
{{- printf "http://%s:%v%s/services/jobs/" (include "deslab.jobs.fullname" .) .Values.jobs.port (trimSuffix "/" .Values.hub.baseUrl) }}
{{- end }}

{{/* Where secrets and settings are mounted in the hub and job-service pods. */}}
{{- define "deslab.etcDir" -}}/usr/local/etc/deslab{{- end }}
{{- define "deslab.catalogPasswordFile" -}}/etc/deslab/catalog/password{{- end }}

{{/* The values the hub reads (mounted as values.yaml), with every credential removed. */}}
{{- define "deslab.hub.values" -}}
{{- $v := deepCopy .Values }}
{{- $_ := unset $v.catalog.oracle "password" }}
{{- $_ = unset $v.auth "clientId" }}
{{- $_ = unset $v.auth "clientSecret" }}
{{- $_ = unset $v.hub.db "password" }}
{{- $_ = unset $v.jobs.db "password" }}
{{- $_ = unset $v.jobs.smtp "password" }}
{{- $_ = set $v "release" (dict
      "name" .Release.Name
      "namespace" .Release.Namespace
      "fullname" (include "deslab.fullname" .)
      "hubService" (include "deslab.hub.fullname" .)
      "proxyApiService" (include "deslab.proxyApi.fullname" .)
      "jobsService" (include "deslab.jobs.fullname" .)
      "jobsUrl" (include "deslab.jobs.url" .)
      "catalogUrl" (include "deslab.catalog.url" .)
      "catalogSecretName" (include "deslab.catalog.secretName" .)
      "catalogSecretKey" (include "deslab.catalog.secretKey" .)
      "singleuserServiceAccount" (include "deslab.singleuser.fullname" .)
      "dask" (dict "image" (include "deslab.dask.image" .)
                   "serviceAccount" (include "deslab.dask.serviceAccount" .)
                   "priorityClass" (include "deslab.dask.clusterScopedName" .))
      "notebookImage" (include "deslab.notebook.image" .)
      "imagePullSecrets" .Values.imagePullSecrets) }}
{{- toYaml $v }}
{{- end }}
