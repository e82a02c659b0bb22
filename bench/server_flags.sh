# Sourced by the benchmark scripts: the flags every benchmarked `parley serve` gets, so that
# they all measure the same server. One I/O thread (its writer and workers share the pinned
# core), limits a person never reaches raised so the generator is not refused, and the cheapest
# password hash for the setup's many logins. PARLEY_ARGS adds flags, e.g.
# PARLEY_ARGS="--commit-spacing-us 0".
# shellcheck disable=SC2034,SC2206  # used by the sourcing script; PARLEY_ARGS is split on purpose
parley_bench_flags=(--threads 1
  --msg-rate-burst 100000 --msg-rate-per-s 100000 --api-rate-burst 100000 --api-rate-per-s 100000
  --auth-rate-burst 100000 --auth-rate-per-s 100000 --password-hash-cost minimum
  --max-connections-per-user 1000 ${PARLEY_ARGS:-})
