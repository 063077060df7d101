"""Checking quotes against source texts (shequ_gov.testing.unverified_quotes)."""

import attrs

from shequ_gov.testing import normalise_text, unverified_quotes


def test_normalise_drops_glosses_and_white_space():
    """Pinyin glosses in parentheses and all white space are ignored."""
    assert normalise_text("婁民復(fù)字 〔2018〕\n10號") == "婁民復字〔2018〕10號"


def test_quotes_found_missing_and_without_a_file(toy_policy, tmp_path):
    """A quote present in the text passes; a changed quote and a source without a file are reported."""
    assert all("names no text file" in p for p in unverified_quotes(toy_policy, tmp_path))
    doc = attrs.evolve(toy_policy.sources["doc"], file="doc.txt")
    (tmp_path / "doc.txt").write_text("面积不低于(dī)400平方米。面积不低于450平方米。不得承担城市管理、拆迁拆违。"
                                      "达标比例达到50%。户数。", encoding="utf-8")
    rules = [attrs.evolve(r, citation=attrs.evolve(r.citation, source=doc)) for r in toy_policy.rules]
    params = {n: attrs.evolve(p, values=tuple(attrs.evolve(v, citation=attrs.evolve(v.citation, source=doc))
                                               for v in p.values)) for n, p in toy_policy.parameters.items()}
    good = attrs.evolve(toy_policy, rules=tuple(rules), parameters=params, sources={"doc": doc})
    assert unverified_quotes(good, tmp_path) == []
    bad_rule = attrs.evolve(rules[0], citation=attrs.evolve(rules[0].citation, quote="面积不低于500平方米"))
    bad = attrs.evolve(good, rules=(bad_rule,) + tuple(rules[1:]))
    assert unverified_quotes(bad, tmp_path) == ["rule toy.area: “面积不低于500平方米” is not in doc.txt"]
