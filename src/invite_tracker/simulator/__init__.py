"""The attribution simulator: scenarios whose truth is known, played in real time against the
fake Discord and a tracker (the service, or the benchmark's baseline), scored against the
truth and the bound any fetch-and-diff tracker has.

    invite-tracker simulate [--scenario steady|burst|raid|churn|all] [--seed N]
                            [--profile 5-per-1s|5-per-5s|both] [--database-url URL] [--short]
                            [--member-search] [--reads-per-join N] [--reading-seconds S]

The package imports nothing itself, so the command line can read `options` without loading
the simulator: import from its modules.
"""
