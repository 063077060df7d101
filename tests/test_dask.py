"""Sweeps on a Dask cluster: a LocalCluster of two worker processes on 127.0.0.1, started here."""

import sys

import pytest

import shequ_gov as sg

distributed = pytest.importorskip("distributed", reason="the [dask] extra is not installed")

AS_OF = "2024-01-01"
VALUES = "300..600 step 50 m**2"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def city():
    return sg.synth.generate(800, seed=7)


class TestSweepOnDask:
    def test_identical_to_the_single_process_run(self, client, city):
        """A sweep's table on two workers is identical to the single-process one."""
        local = sg.sweep(city, "loudi", "service_housing_min_area", VALUES, as_of=AS_OF, mode="what-if")
        remote = sg.sweep(city, "loudi", "service_housing_min_area", VALUES, as_of=AS_OF, mode="what-if",
                          scheduler=client)
        assert remote.to_csv() == local.to_csv()
        assert len(remote) == 7

    def test_scenarios_run_on_the_workers(self, client, city):
        """Each value is one task, run by the cluster's worker processes."""
        with distributed.get_task_stream(client) as ts:
            sg.sweep(city, "loudi", "service_housing_min_area", VALUES, as_of=AS_OF, scheduler=client)
        tasks = [t for t in ts.data if str(t["key"]).startswith("_scenario_counts")]
        assert len(tasks) == 7
        assert {t["worker"] for t in tasks} <= set(client.scheduler_info()["workers"])

    def test_region_level_rules_and_levels(self, client, city, toy_policy):
        """District-level rules and per-region tables come back identical too."""
        kw = dict(as_of=AS_OF, mode="what-if", level="district")
        local = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2", "450 m**2"], **kw)
        remote = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2", "450 m**2"], scheduler=client, **kw)
        assert remote.to_csv() == local.to_csv()

    def test_scheduler_address(self, cluster, city):
        """A scheduler address works as well as a Client (the sweep opens and closes its own client)."""
        local = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF)
        remote = sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF,
                          scheduler=cluster.scheduler_address)
        assert remote.to_csv() == local.to_csv()


def test_without_the_extra_the_error_names_it(monkeypatch, city):
    """Without Dask installed, asking for a scheduler names the extra to install."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"shequ-gov\[dask\]"):
        sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF, scheduler="tcp://127.0.0.1:1")


def test_a_bad_scheduler_is_refused(city):
    """A scheduler that is neither a Client nor an address is a TypeError saying what is expected."""
    with pytest.raises(TypeError, match="dask.distributed.Client or a scheduler address"):
        sg.sweep(city, "loudi", "service_housing_min_area", ["350 m**2"], as_of=AS_OF, scheduler=2)


class TestEvaluateOnDask:
    @pytest.mark.parametrize("mode", ["jurisdiction", "what-if"])
    def test_byte_identical_report(self, client, mode):
        """Evaluated province by province on the workers, the report's JSON is byte-identical."""
        ds = sg.synth.generate("city", seed=3)  # five provinces, every policy's jurisdiction in one of them
        local = sg.evaluate(ds, None, as_of=AS_OF, mode=mode)
        remote = sg.evaluate(ds, None, as_of=AS_OF, mode=mode, scheduler=client)
        assert remote.to_json() == local.to_json()
        assert remote.summary(level="district").to_csv() == local.summary(level="district").to_csv()
        for rid in local.rule_ids[::5]:
            code = f"{local._block(rid).codes[-1]:012d}"
            assert remote.explain(code, rid) == local.explain(code, rid)

    def test_a_province_partitioned_parquet_is_read_and_judged_by_the_workers(self, client, tmp_path):
        """sg.evaluate(path, scheduler=…) on Dataset.write(…, partition_by="province"): each worker
        reads its own province's partition; the report is byte-identical to the single-process one."""
        ds = sg.synth.generate("city", seed=3)
        path = tmp_path / "city.parquet"
        ds.write(path, partition_by="province")
        n = ds.level_counts()[sg.Level.PROVINCE]
        with distributed.get_task_stream(client) as ts:
            remote = sg.evaluate(path, None, as_of=AS_OF, mode="what-if", scheduler=client)
        assert len([t for t in ts.data if str(t["key"]).startswith("_evaluate_part")]) == n
        assert remote.to_json() == sg.evaluate(ds, None, as_of=AS_OF, mode="what-if").to_json()

    def test_partitions_are_tasks_on_the_workers(self, client):
        """Each province is one task."""
        ds = sg.synth.generate(300, seed=4)
        n = ds.level_counts()[sg.Level.PROVINCE]
        with distributed.get_task_stream(client) as ts:
            sg.evaluate(ds, "loudi", as_of=AS_OF, scheduler=client)
        assert len([t for t in ts.data if str(t["key"]).startswith("_evaluate_part")]) == n



def test_partitions_with_a_city_without_districts(client):
    """A province whose city has no districts (Dongguan) gives the same report province by province."""
    from test_scenario import _with_dongguan

    ds = _with_dongguan(sg.synth.generate(300, seed=2).to_dict())
    assert sg.evaluate(ds, None, as_of=AS_OF, mode="what-if", scheduler=client).to_json() == \
        sg.evaluate(ds, None, as_of=AS_OF, mode="what-if").to_json()
