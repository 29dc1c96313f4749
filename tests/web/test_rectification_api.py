"""The rectification API: a plan from draft to filing, progress with evidence and review, the queue,
scoping (404), permissions (403), optimistic locking (409) and bearer tokens."""

from __future__ import annotations

import io
import json

import pytest

from tests.rectification_world import drafted, filed, plan_data, plan_steps
from tests.screening_world import accepted

pytestmark = pytest.mark.django_db
API = "/api/rectification"


def _post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data, default=str), content_type="application/json")


def _steps():
    return [{**s, "month": s["month"].strftime("%Y-%m"), "floor_area_m2": str(s["floor_area_m2"]),
             "investment_wan": str(s["investment_wan"])} for s in plan_steps()]


def _content():
    return {k: str(v) for k, v in plan_data().items()}


def test_plan_goes_from_draft_to_filing(login, world):
    ns = accepted(world)
    client = login(world.users["ent_a"])
    response = _post(client, f"{API}/plans", {"entries": [ns.entry_a.pk], "measures": "建设标准厂房"})
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "draft" and plan["enterprise"] == "甲公司"
    assert plan["entries"][0]["parcel_codes"] == ["A-001"]
    assert "steps" in plan["problems"]

    incomplete = _post(client, f"{API}/plans/{plan['id']}/transition", {"action": "submit"})
    assert incomplete.status_code == 422
    detail = incomplete.json()["detail"]
    assert "请填写按月实施步骤" in detail["steps"][0]
    assert "请填写整改开始日期" in detail["start"][0]

    updated = _post(client, f"{API}/plans/{plan['id']}", {**_content(), "steps": _steps(),
                                                          "lock_version": plan["lock_version"]}, method="put")
    assert updated.status_code == 200, updated.content
    body = updated.json()
    assert body["problems"] == {} and len(body["steps"]) == 12 and body["lock_version"] == plan["lock_version"] + 1
    assert "submit" in body["actions"]

    stale = _post(client, f"{API}/plans/{plan['id']}", {"measures": "改", "lock_version": plan["lock_version"]},
                  method="put")
    assert stale.status_code == 409
    assert "已被他人修改" in stale.json()["detail"]["__all__"][0]

    submitted = _post(client, f"{API}/plans/{plan['id']}/transition",
                      {"action": "submit", "lock_version": body["lock_version"]})
    assert submitted.json()["status"] == "submitted"

    lead = login(world.users["lead"])
    assert _post(lead, f"{API}/plans/{plan['id']}/transition", {"action": "approve"}).status_code == 403
    town = login(world.users["town_a"])
    approved = _post(town, f"{API}/plans/{plan['id']}/transition", {"action": "approve", "comment": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    lead = login(world.users["lead"])
    done = _post(lead, f"{API}/plans/{plan['id']}/transition", {"action": "file"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "filed" and body["status_label"] == "已备案"
    assert [e["action"] for e in body["events"]] == ["create", "submit", "approve", "file"]


def test_other_township_and_enterprise_get_404(login, world):
    plan = drafted(world)
    for username in ("town_b", "ent_b"):
        client = login(world.users[username])
        assert client.get(f"{API}/plans/{plan.pk}").status_code == 404
        assert _post(client, f"{API}/plans/{plan.pk}/transition", {"action": "submit"}).status_code == 404
        assert client.get(f"{API}/plans").json()["count"] == 0
    ent_b = login(world.users["ent_b"])
    assert _post(ent_b, f"{API}/plans", {"entries": [accepted(world).entry_a.pk]}).status_code == 404


def test_plan_list_filters_and_reports_progress(login, world):
    plan = filed(world)
    client = login(world.users["town_a"])
    body = client.get(f"{API}/plans", {"status": "filed", "township": world.township_a.pk}).json()
    assert body["count"] == 1 and body["items"][0]["id"] == plan.pk
    assert body["items"][0]["progress_percent"] == 0.0
    assert client.get(f"{API}/plans", {"status": "draft"}).json()["count"] == 0
    bad = client.get(f"{API}/plans", {"status": "nonsense"})
    assert bad.status_code == 422 and "状态" in bad.json()["detail"]["status"][0]


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


def test_report_with_evidence_and_review(login, world):
    plan = filed(world)
    step = plan.steps.order_by("month").first()
    client = login(world.users["ent_a"])
    response = _post(client, f"{API}/plans/{plan.pk}/reports", {
        "month": "2021-06", "narrative": "取得施工许可，开始桩基",
        "items": [{"step_id": step.pk, "floor_area_m2": "1800", "investment_wan": "450", "milestone_reached": True}]})
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["status"] == "submitted" and report["items"][0]["floor_area_m2"] == 1800.0

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post(f"{API}/reports/{report['id']}/evidence",
                         {"kind": "photo", "file": SimpleUploadedFile("现场.jpg", _jpeg(), "image/jpeg")})
    assert upload.status_code == 201, upload.content
    ev = upload.json()
    assert ev["kind"] == "photo" and ev["content_type"] == "image/jpeg"
    assert any("拍摄时间" in w for w in ev["warnings"])
    bad = client.post(f"{API}/reports/{report['id']}/evidence",
                      {"kind": "photo", "file": SimpleUploadedFile("假.jpg", b"not a jpeg", "image/jpeg")})
    assert bad.status_code == 422 and "不符" in bad.json()["detail"]["evidence"][0]

    detail = client.get(f"{API}/reports/{report['id']}").json()
    assert detail["evidence_count"] == 1 and detail["warnings"] >= 1
    assert _post(client, f"{API}/reports/{report['id']}/review", {"confirm": True}).status_code == 403

    town = login(world.users["town_a"])
    reviewed = _post(town, f"{API}/reports/{report['id']}/review", {"confirm": True, "comment": "属实"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "confirmed"
    assert [r["status"] for r in town.get(f"{API}/plans/{plan.pk}/reports").json()] == ["confirmed"]
    assert town.get(f"{API}/plans/{plan.pk}").json()["progress"]["percent"] > 0
    assert login(world.users["town_b"]).get(f"{API}/reports/{report['id']}").status_code == 404


def test_queue_returns_the_users_items(login, world):
    from pandi.rectification import services

    drafted(world)
    services.queue_refresh()
    items = login(world.users["ent_a"]).get(f"{API}/queue").json()
    assert items and items[0]["reason"] == "plan_not_submitted" and items[0]["enterprise"] == "甲公司"
    assert login(world.users["town_b"]).get(f"{API}/queue").json() == []


def test_bearer_token_reads_the_users_scope(client, world):
    from pandi.accounts.services import api_token_create

    plan = drafted(world)
    _token, key = api_token_create(user=world.users["town_a"], name="整改对接")
    response = client.get(f"{API}/plans", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["items"][0]["id"] == plan.pk
    _token_b, key_b = api_token_create(user=world.users["town_b"], name="整改对接")
    assert client.get(f"{API}/plans/{plan.pk}", HTTP_AUTHORIZATION=f"Bearer {key_b}").status_code == 404
    assert client.get(f"{API}/plans", HTTP_AUTHORIZATION="Bearer pandi_wrong").status_code == 401
