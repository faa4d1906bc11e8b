# Sourced by build-image.sh and image-smoke.sh: podman_flags IMAGE sets the arrays
# podman_global (global options, e.g. `--runtime runc`) and podman_limits (`--ulimit …` for
# run and build) to the first combination that runs a container from IMAGE here.
# On some hosts podman's defaults cannot start one: its default open-files limit (1048576)
# is above the host's hard limit (setrlimit: operation not permitted), or crun refuses a
# hybrid cgroup v1/v2 host ("cgroups in hybrid mode not supported"), where runc works.
# PODMAN_GLOBAL and PODMAN_LIMITS (space-separated) override the detection.
podman_flags() {
    local image="$1" hard
    if [ -n "${PODMAN_GLOBAL+x}${PODMAN_LIMITS+x}" ]; then
        read -r -a podman_global <<<"${PODMAN_GLOBAL:-}"
        read -r -a podman_limits <<<"${PODMAN_LIMITS:-}"
        return 0
    fi
    hard=$(ulimit -Hn)
    [ "$hard" = unlimited ] && hard=1048576
    local limits="--ulimit nofile=$hard:$hard --ulimit nproc=4096:4096"
    local try
    for try in "|" "|$limits" "--runtime runc|$limits"; do
        read -r -a podman_global <<<"${try%%|*}"
        read -r -a podman_limits <<<"${try#*|}"
        if podman "${podman_global[@]}" run --rm "${podman_limits[@]}" --entrypoint /bin/true "$image" >/dev/null 2>&1; then
            return 0
        fi
    done
    return 1
}
