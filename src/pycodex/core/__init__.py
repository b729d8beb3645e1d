"""The agent: sessions, turns, tool routing, prompt assembly, history, compaction.

Core never prints and never reads argv: front ends talk to it through `Codex.submit` and
`Codex.next_event`.
"""
