"""The parts a sweep is made of, which `credit_monitor.Supervisor` composes.

`look`: capture the panes in one tmux process and read each, parsing only screens that changed.
`report`: what a sweep did (`SweepReport`) and the lifecycle's configs read from the settings.
`base`: the attributes the parts share and, for the type checker, the methods they call across.
`watching`: the watch loop, sleeping until the next due instant or a wake-up.
`resuming`: the verified resume, the manual pause and the forced resume.
`telling`: decisions into the state file, events and hooks, notes to the orchestrator.
`delivering`: typing into panes under the typist lock, held and due messages, nudges.
May import effects (tmux, store, sources), the pure core and models; never an interface.
"""
