"""Single sign-on in /metrics: sign-ins and refusals by the check that refused."""

from prometheus_client import REGISTRY


def count(outcome: str, check: str) -> float:
    labels = {"outcome": outcome, "check": check}
    return REGISTRY.get_sample_value("commbox_sso_sign_ins_total", labels) or 0.0


def test_a_sign_in_is_counted(tenant, agent, response_for, post_to_acs):
    before = count("signed_in", "")

    post_to_acs(response_for(agent.user_name))

    assert count("signed_in", "") == before + 1


def test_a_refused_sign_in_is_counted_with_its_check(tenant, response_for, post_to_acs):
    before = count("refused", "user")

    response = post_to_acs(response_for("nobody@contoso.example"))

    assert response.status_code == 403
    assert count("refused", "user") == before + 1
