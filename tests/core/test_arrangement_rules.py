"""The checks a reorganisation's lines must pass on their own: no body mapped twice, no loop."""

from __future__ import annotations

from lib.core.arrangement import ENDED, MERGED, RENAMED, SAME, SPLIT, Line, check_lines, split_main
from lib.core.organisation import AGENCY, LOCALITY, UNIT


def unit(n: int, old: str, new: str, change: str = MERGED) -> Line:
    return Line(n, UNIT, old, new, change, "xa", "Huyện An", "", "xa", "Huyện An")


def messages(*lines: Line) -> list[str]:
    return [str(p) for p in check_lines(lines)]


def test_merges_into_a_continuing_unit_pass():
    assert messages(unit(2, "Một", "Hai"), unit(3, "Hai", "Hai", SAME), unit(4, "Ba", "Hai")) == []


def test_a_body_mapped_twice_is_named_on_its_second_line():
    [message] = messages(unit(2, "Một", "Hai"), unit(3, "Một", "Ba"))
    assert message.startswith("Dòng 3: xã Một (Huyện An) đã được ánh xạ ở dòng 2")


def test_a_split_may_map_one_body_on_several_lines_but_not_to_one_part_twice():
    assert messages(unit(2, "Một", "Hai", SPLIT), unit(3, "Một", "Ba", SPLIT)) == []
    [message] = messages(unit(2, "Một", "Hai", SPLIT), unit(5, "Một", "Hai", SPLIT))
    assert message.startswith("Dòng 5:") and "hai lần" in message


def test_two_bodies_mapped_onto_each_other_are_a_loop():
    [message] = messages(unit(2, "Một", "Hai", RENAMED), unit(3, "Hai", "Một", RENAMED))
    assert "vòng lặp: Một → Hai → Một" in message and "các dòng 2, 3" in message


def test_a_longer_loop_is_found_and_named_once():
    found = messages(
        unit(2, "Một", "Hai", RENAMED), unit(3, "Hai", "Ba", RENAMED), unit(4, "Ba", "Một", RENAMED)
    )
    assert len(found) == 1 and "Một → Hai → Ba → Một" in found[0]


def test_a_chain_without_loop_and_a_unit_keeping_its_name_are_no_loop():
    assert messages(unit(2, "Một", "Hai", RENAMED), unit(3, "Hai", "Ba", RENAMED)) == []
    assert messages(unit(2, "Một", "Một", MERGED), unit(3, "Hai", "Một", MERGED)) == []


def test_same_must_keep_the_name_and_a_unit_cannot_end_without_successor():
    assert messages(unit(2, "Một", "Hai", SAME))[0].startswith("Dòng 2: “same”")
    assert "không thể kết thúc" in messages(Line(7, UNIT, "Một", "", ENDED, "xa", "Huyện An"))[0]
    assert messages(Line(7, LOCALITY, "Huyện An", "", ENDED)) == []


def test_a_split_seat_is_the_marked_line_else_the_one_keeping_the_name_else_the_first():
    a = Line(2, AGENCY, "UBND huyện An", "UBND xã Hai", SPLIT)
    b = Line(3, AGENCY, "UBND huyện An", "UBND huyện An", SPLIT)
    c = Line(4, AGENCY, "UBND huyện An", "UBND xã Ba", SPLIT, main=True)
    assert split_main([a, b, c]) == 4
    assert split_main([a, b]) == 3
    assert split_main([a]) == 2
    two = [Line(2, AGENCY, "X", "Y", SPLIT, main=True), Line(3, AGENCY, "X", "Z", SPLIT, main=True)]
    assert "hai phần chính" in messages(*two)[0]
