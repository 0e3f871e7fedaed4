"""``python -m deslab_hub.jobs``: run the job service (JupyterHub starts it as a service)."""

from deslab_hub.jobs.app import main

if __name__ == "__main__":
    main()
