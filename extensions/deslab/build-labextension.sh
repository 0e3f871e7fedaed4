#!/usr/bin/env bash
# Build the DESlab JupyterLab extension and make it visible to the JupyterLab of the active
# Python environment (scripts/setup.sh runs this with the venv's bin first on PATH).
#   npm packages (npm registry) -> TypeScript -> prebuilt extension in deslab/labextension
#   -> symlink in <prefix>/share/jupyter/labextensions/deslab -> server extension enabled.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
PREFIX=$(python -c 'import sys; print(sys.prefix)')

if [ ! -d node_modules/@jupyter/builder ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc
jupyter-builder build . >/dev/null

# the prebuilt extension, as `jupyter labextension develop` would link it
mkdir -p "$PREFIX/share/jupyter/labextensions"
ln -sfn "$HERE/deslab/labextension" "$PREFIX/share/jupyter/labextensions/deslab"

# the server extension (REST handlers under /deslab/)
mkdir -p "$PREFIX/etc/jupyter/jupyter_server_config.d"
cat > "$PREFIX/etc/jupyter/jupyter_server_config.d/deslab.json" <<'JSON'
{
  "ServerApp": {
    "jpserver_extensions": {
      "deslab": true
    }
  }
}
JSON
echo "deslab lab extension built in $HERE/deslab/labextension"
