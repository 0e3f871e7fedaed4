"""Users' homes on Kubernetes, named and placed the way KubeSpawner does it.

The hub's KubeSpawner and the job service's kubernetes runner must agree on a user's claim
name, sub-path and pod labels for every hub user name, including names KubeSpawner has to
make safe with a hash (``Jane.Doe@uni.edu``) and names longer than its 48-character limit.
So both use KubeSpawner's own slug functions (:mod:`kubespawner.slugs`, imported, never
re-implemented) through this module, and the tests compare the results with names a real
KubeSpawner instance produces.

A ReadWriteOnce home can be mounted on one node at a time, so every pod that mounts it (the
user's server and their job pods) carries KubeSpawner's username label and a required pod
affinity to the other pods with that label on the same node (:func:`colocation_affinity`).
The first of them may land anywhere (Kubernetes lets a pod that matches its own affinity
term start when no other pod matches); the others join it, or wait in Pending until it ends.
"""

from __future__ import annotations

from typing import Any

from kubespawner.slugs import escape_slug, is_valid_label, multi_slug, safe_slug

#: KubeSpawner's limit on a slugged user or server name (``_slug_max_length``).
SLUG_MAX_LENGTH = 48
#: The label KubeSpawner puts on every user pod.
USERNAME_LABEL = "hub.jupyter.org/username"
#: Access modes that tie a volume to one node.
SINGLE_NODE_MODES = frozenset({"ReadWriteOnce", "ReadWriteOncePod"})


def template_names(username: str) -> dict[str, str]:
    """What KubeSpawner (``slug_scheme = "safe"``) substitutes for a user's default server.

    The keys are those of ``KubeSpawner._expand_user_properties`` that do not need a hub
    database id or a running spawner: ``username`` (the safe slug, at most 48 characters),
    ``user_server``, ``servername`` (empty), their ``safe_`` and ``escaped_`` forms and
    ``unescaped_username``.
    """
    safe_username = safe_slug(username, max_length=SLUG_MAX_LENGTH)
    if len(safe_username) + 2 > SLUG_MAX_LENGTH:  # KubeSpawner double-escapes here
        user_server = multi_slug([username, ""], max_length=SLUG_MAX_LENGTH)
    else:
        user_server = safe_username
    escaped = escape_slug(username)
    return {
        "username": safe_username,
        "safe_username": safe_username,
        "user_server": user_server,
        "safe_user_server": user_server,
        "servername": "",
        "safe_servername": "",
        "unescaped_username": username,
        "unescaped_servername": "",
        "escaped_username": escaped,
        "escaped_servername": "",
        "escaped_user_server": f"{escaped}--",
    }


def expand_user_template(template: str, username: str) -> str:
    """``template`` (e.g. ``claim-{username}``) expanded for ``username`` as KubeSpawner does.

    Raises
    ------
    ValueError
        If the template uses a field KubeSpawner knows only inside a running spawner
        (``{userid}``, ``{pod_name}``, ...).

    Examples
    --------
    >>> expand_user_template("claim-{username}", "alice")
    'claim-alice'
    >>> expand_user_template("claim-{username}", "Jane.Doe@uni.edu")
    'claim-jane-doe-uni-edu---a234f1d0'
    """
    try:
        rendered = template.format(**template_names(username))
    except (KeyError, IndexError) as exc:
        raise ValueError(
            f"the template {template!r} uses {exc}, which the job service cannot know; use "
            "{username} (KubeSpawner's safe slug) or {user_server}"
        ) from None
    if not template.endswith("-"):  # as KubeSpawner: an empty server name leaves no '-'
        rendered = rendered.rstrip("-")
    return rendered


def username_label(username: str) -> str:
    """The value of KubeSpawner's ``hub.jupyter.org/username`` label for ``username``."""
    return safe_slug(username, is_valid=is_valid_label)


def single_node(access_modes: list[str] | tuple[str, ...]) -> bool:
    """Whether a volume with these access modes can be mounted on one node only."""
    return bool(SINGLE_NODE_MODES.intersection(access_modes))


def colocation_affinity(label_value: str) -> dict[str, Any]:
    """Pod affinity: on the node of the running pods labelled with this user (or anywhere
    when there are none)."""
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {USERNAME_LABEL: label_value}},
        "topologyKey": "kubernetes.io/hostname",
    }]}}


def colocate_with_owner(spawner: Any, pod: Any) -> Any:
    """KubeSpawner ``modify_pod_hook``: the user's server joins the node of their running
    job pods (a ReadWriteOnce home cannot be attached to two nodes)."""
    from kubernetes_asyncio.client import (
        V1Affinity,
        V1LabelSelector,
        V1PodAffinity,
        V1PodAffinityTerm,
    )

    label = (pod.metadata.labels or {}).get(USERNAME_LABEL) or username_label(spawner.user.name)
    affinity = pod.spec.affinity or V1Affinity()
    pod_affinity = affinity.pod_affinity or V1PodAffinity()
    required = list(pod_affinity.required_during_scheduling_ignored_during_execution or [])
    required.append(V1PodAffinityTerm(
        label_selector=V1LabelSelector(match_labels={USERNAME_LABEL: label}),
        topology_key="kubernetes.io/hostname"))
    pod_affinity.required_during_scheduling_ignored_during_execution = required
    affinity.pod_affinity = pod_affinity
    pod.spec.affinity = affinity
    return pod
