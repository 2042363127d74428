#!/bin/sh
# Entrypoint of the sluice image. tini (PID 1) runs this script, which then *replaces itself*
# with node (exec), so the SIGTERM of `docker stop` / a Swarm update reaches sluice directly
# and sluice stops gracefully: no more fetching, deliver what is in flight, commit, exit 0.
#
#   (no arguments) | run [options]       sluice run [options] <$SLUICE_PIPELINES>
#   validate                             sluice validate <$SLUICE_PIPELINES>
#   run|validate <paths...>              sluice run|validate <paths...> (explicit paths win)
#   --some-option ...                    sluice run --some-option ... <$SLUICE_PIPELINES>
#   process|replay|doctor|test|help ...  sluice <verb> ...
#   <a program> ...                      that program (sh, ls, cat ...), for debugging
#
# SLUICE_PIPELINES: pipeline files or directories, separated by commas (or spaces);
# default /etc/sluice/pipelines. Give `run` options as environment variables
# (SLUICE_LOG_LEVEL, SLUICE_SHUTDOWN_TIMEOUT_MS, SLUICE_HTTP_ADDRESS, SLUICE_HTTP_PORT) or as
# --option=value.
# Everything else is read by sluice itself: ${VAR} / ${VAR:-default} in pipeline files,
# and VAR_FILE (a file holding the value, e.g. a Swarm secret) when VAR is unset.
set -eu

SLUICE_BIN=/app/bin/sluice
pipelines=${SLUICE_PIPELINES:-/etc/sluice/pipelines}

# True when the arguments after the verb already name a pipeline file or directory.
names_paths() {
  skip_next=0
  for arg in "$@"; do
    if [ "$skip_next" = 1 ]; then
      skip_next=0
      continue
    fi
    case $arg in
      # `run` options whose value is the next argument (--option=value is one argument)
      --log-level | --shutdown-timeout | --http-address | --http-port | --workers) skip_next=1 ;;
      -*) ;;
      *) return 0 ;;
    esac
  done
  return 1
}

if [ $# -eq 0 ]; then
  set -- run
fi

case $1 in
  -h | --help | -V | --version)
    exec node "$SLUICE_BIN" "$@"
    ;;
  -*)
    set -- run "$@"
    ;;
esac

case $1 in
  run | validate)
    verb=$1
    shift
    if ! names_paths "$@"; then
      # Split SLUICE_PIPELINES on commas and white space, without glob expansion.
      set -f
      old_ifs=$IFS
      IFS=', 	
'
      for path in $pipelines; do
        set -- "$@" "$path"
      done
      IFS=$old_ifs
      set +f
    fi
    exec node "$SLUICE_BIN" "$verb" "$@"
    ;;
  process | replay | doctor | test | help)
    exec node "$SLUICE_BIN" "$@"
    ;;
esac

# Not a verb we know: a program in the image (`docker compose run --rm sluice sh`), or else a
# verb of a newer sluice, which reports it if it does not exist either.
if command -v "$1" >/dev/null 2>&1; then
  exec "$@"
fi
exec node "$SLUICE_BIN" "$@"
