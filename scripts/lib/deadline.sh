# shellcheck shell=sh
# The deadline of every wait: TIMEOUT_SECONDS from now. `deadline_passed` is true once it is reached,
# so a wait checks it after each failed attempt and before sleeping, and always tries at least once.
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
deadline_passed() { [ "$(date +%s)" -ge "$deadline" ]; }
