import pytest

from execdesk.domain.states import IllegalTransition, ParentStatus, check_transition

S = ParentStatus


@pytest.mark.parametrize("path", [
    [S.INITIALIZED, S.ACTIVE, S.EXECUTING, S.FILLED, S.COMPLETE],
    [S.INITIALIZED, S.ACTIVE, S.PAUSED, S.ACTIVE, S.EXECUTING, S.FILLED, S.ADJUSTING, S.ACTIVE],
    [S.INITIALIZED, S.ACTIVE, S.EXECUTING, S.ACTIVE],  # a child order ended without fills
    [S.INITIALIZED, S.ACTIVE, S.HALTED, S.ACTIVE, S.CANCELLED],
    [S.INITIALIZED, S.CANCELLED],
])
def test_the_seed_chapter_paths_are_allowed(path):
    for current, target in zip(path, path[1:], strict=False):
        assert check_transition(current, target) == target


@pytest.mark.parametrize("current,target", [
    (S.INITIALIZED, S.EXECUTING),
    (S.INITIALIZED, S.COMPLETE),
    (S.PAUSED, S.EXECUTING),
    (S.COMPLETE, S.ACTIVE),
    (S.CANCELLED, S.ACTIVE),
    (S.EXECUTING, S.COMPLETE),  # completion goes through FILLED
])
def test_illegal_transitions_are_refused_naming_what_is_allowed(current, target):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert f"{current} → {target}" in str(err.value)
    assert "allowed" in str(err.value)


def test_terminal_states_allow_nothing():
    for state in (S.COMPLETE, S.CANCELLED):
        assert state.is_terminal
        with pytest.raises(IllegalTransition, match="terminal"):
            check_transition(state, S.PAUSED)
