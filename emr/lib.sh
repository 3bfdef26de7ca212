# Shared by the scripts in this folder (sourced, never run). Bash.
# shellcheck shell=bash

DRY_RUN=

# Say what the script does; on stdout, where EMR keeps a step's and an action's output.
say() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

die() { say "error: $*" >&2; exit 2; }

# Run a command, or with --dry-run print it (quoted, so that it could be pasted).
run() {
  if [ -n "$DRY_RUN" ]; then
    printf 'would run:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Start a command that keeps running after the script, its output appended to a log file.
run_in_background() {
  local log=$1
  shift
  if [ -n "$DRY_RUN" ]; then
    printf 'would start (output to %s):' "$log"
    printf ' %q' "$@"
    printf '\n'
  else
    nohup "$@" >>"$log" 2>&1 &
  fi
}

# Write stdin to a file, or with --dry-run print what would be written.
write_file() {
  local path=$1
  if [ -n "$DRY_RUN" ]; then
    printf 'would write %s:\n' "$path"
    sed 's/^/  | /'
  else
    sudo mkdir -p "$(dirname "$path")"
    sudo tee "$path" >/dev/null
  fi
}

# The value following a flag, or an error naming the flag when there is none.
need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
}
