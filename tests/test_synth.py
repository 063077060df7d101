"""Synthetic data: scales, determinism, skeletons, missing values, and calibration to the sources."""

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import synth
from shequ_gov.rules import Inputs


class TestGenerate:
    @pytest.mark.parametrize("scale, n", [("tiny", 40), (137, 137), ("city", 2000)])
    def test_scales(self, scale, n):
        """A named scale or a number gives that many communities."""
        assert len(synth.generate(scale, seed=0)) == n

    def test_tiny_reaches_every_first_party_jurisdiction(self):
        """Even a tiny dataset has communities in all five policies' jurisdictions."""
        ds = synth.generate("tiny")
        for code in ("2101", "210203", "32", "4313", "500154"):
            assert ds.within(code).any(), code

    def test_same_seed_same_bytes_other_seed_differs(self, tmp_path):
        """The same seed writes byte-identical files; another seed gives other data."""
        synth.generate(300, seed=5).write(tmp_path / "a.json.gz")
        synth.generate(300, seed=5).write(tmp_path / "b.json.gz")
        assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
        assert synth.generate(300, seed=6) != synth.generate(300, seed=5)

    def test_generated_data_is_valid_and_round_trips(self):
        """Generated data survives the validating loader unchanged."""
        ds = synth.generate(500, seed=3)
        assert sg.Dataset.from_dict(ds.to_dict()) == ds

    def test_missing_share_is_controlled(self):
        """missing=0 gives complete data; the default leaves about 4 % of a field missing."""
        full = Inputs(synth.generate(3000, seed=1, missing=0)._st)
        assert not np.isnan(full.number("households")).any() and full.facilities.known.all()
        some = Inputs(synth.generate(3000, seed=1)._st)
        share = np.isnan(some.number("funding.operating")).mean()
        assert 0.02 < share < 0.06

    def test_population_follows_households_and_villages_are_smaller(self):
        """Correlations: population ≈ 2.4–3.2 × households; villages have fewer households than cities."""
        c = Inputs(synth.generate(5000, seed=2, missing=0)._st)
        hh, pop = c.number("households"), c.number("population")
        assert np.all((pop >= 2.39 * hh) & (pop <= 3.21 * hh + 1))
        rural = c.area_is("rural").is_true
        assert np.median(hh[rural]) < 0.5 * np.median(hh[c.area_is("central_urban").is_true])

    def test_bad_arguments(self):
        """Unknown scales and shares are refused with the choices."""
        with pytest.raises(ValueError, match="tiny, city, province, national"):
            synth.generate("county")
        with pytest.raises(ValueError, match="missing"):
            synth.generate(10, missing=1.5)


class TestSkeleton:
    def test_keeps_codes_names_and_area_types(self, china):
        """On a real skeleton the codes, names and given area types are kept."""
        loudi = china.subtree("4313")
        ds = synth.generate("national", seed=0, skeleton=loudi)
        assert len(ds) == len(loudi) == 2107
        assert ds.community("431302001001").name == loudi.community("431302001001").name
        given = loudi._st.communities["area_type"] >= 0
        assert (ds._st.communities["area_type"][given] == loudi._st.communities["area_type"][given]).mean() > 0.97
        assert ds.n_regions == loudi.n_regions


# --- calibration: each figure of the sources, on a province-scale sample of the real skeleton ---------

@pytest.fixture(scope="module")
def liaoning(china):
    return Inputs(synth.generate("national", seed=11, skeleton=china.subtree("21"))._st)


@pytest.fixture(scope="module")
def jiangsu(china):
    return Inputs(synth.generate("national", seed=12, skeleton=china.subtree("32"))._st)


def _target(name, value):
    want, tol = synth.CALIBRATION[name]
    assert abs(value - want) <= tol, f"{name}: {value:.3f}, calibrated to {want} ± {tol}"


def test_liaoning_urban_stations_meet_400_m2_at_the_reported_rate(liaoning):
    """About 87.2 % of Liaoning's urban stations meet 400 m², averaging about 549 m²."""
    area = liaoning.facility_area("service_housing")
    urban = liaoning.urban.is_true & ~np.isnan(area)
    _target("liaoning_urban_station_share_400", float((area[urban] >= 400).mean()))
    _target("liaoning_urban_station_mean_m2", float(area[urban].mean()))


def test_jiangsu_one_shoulder_rates(jiangsu):
    """“一肩挑”: about 94.6 % of Jiangsu's communities and 97.5 % of its villages."""
    s = jiangsu.staff
    both = jiangsu.staff_has_role("secretary") & jiangsu.staff_has_role("director")
    one = s.count(both) > 0
    known = s.known
    _target("jiangsu_one_shoulder_communities", float(one[known & ~jiangsu.area_is("rural").value].mean()))
    _target("jiangsu_one_shoulder_villages", float(one[known & jiangsu.area_is("rural").is_true].mean()))
    cert = jiangsu.staff.flag("certified_social_worker")
    _target("jiangsu_certified_worker_share", float(cert.is_true[cert.known].mean()))


def test_most_certified_social_workers_receive_an_allowance(jiangsu):
    """职业津贴: most certified social workers receive one (> 0); uncertified members none."""
    cert = jiangsu.staff.flag("certified_social_worker")
    allowance = jiangsu.staff.column("social_work_allowance")
    known = ~np.isnan(allowance)
    _target("liaoning_certified_allowance_share", float((allowance[cert.is_true & known] > 0).mean()))
    assert (allowance[cert.is_false & known] == 0).all()
    assert 0 < np.isnan(allowance).mean() < 0.1  # some are not recorded: missing stays missing


def test_loudi_communities_have_5_to_9_staff(china):
    """Most of Loudi's urban and township communities have 5–9 staff."""
    c = Inputs(synth.generate("national", seed=13, skeleton=china.subtree("4313"))._st)
    n = c.staff_count()
    sel = ~c.area_is("rural").value & c.area_is("rural").known & ~np.isnan(n)
    _target("loudi_staff_5_to_9_share", float(((n[sel] >= 5) & (n[sel] <= 9)).mean()))


def test_xigang_administrative_work_near_70_percent(china):
    """Administrative work is about 70 % of Xigang's communities' work."""
    c = Inputs(synth.generate("national", seed=14, skeleton=china.subtree("210203"))._st)
    share = c.number("burden.admin_work_share")
    _target("xigang_admin_work_share_mean", float(np.nanmean(share)))


def test_shenyang_ledgers_mostly_within_22(liaoning):
    """Most Shenyang communities keep at most 22 ledgers."""
    ledgers = liaoning.number("burden.ledgers")[liaoning.codes // 10**8 == 2101]
    _target("shenyang_ledgers_within_22_share", float((ledgers[~np.isnan(ledgers)] <= 22).mean()))
