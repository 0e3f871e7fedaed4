# JupyterHub configuration of the DESlab hub image: everything comes from the Helm chart's
# values (DESLAB_VALUES_FILE) and Secrets (DESLAB_SECRETS_DIR, environment); see
# deslab_hub.kubernetes.
from deslab_hub.kubernetes import load_config

c = get_config()  # noqa: F821
c.merge(load_config())
