import pytest

from apps.tenants import counting
from apps.tenants.counting import BoundedCount, BoundedPaginator, bounded_count
from apps.tenants.models import Tenant
from apps.users.models import User
from tests.factories import AgentFactory


@pytest.fixture
def bound_of_three(monkeypatch):
    monkeypatch.setattr(counting, "COUNT_BOUND", 3)


def test_bounded_count_stops_one_past_the_bound(tenant, bound_of_three):
    AgentFactory.create_batch(5, tenant=tenant)

    assert bounded_count(User.objects.for_tenant(tenant)) == 4


def test_bounded_count_is_exact_up_to_the_bound(tenant, bound_of_three):
    AgentFactory.create_batch(2, tenant=tenant)

    assert bounded_count(User.objects.for_tenant(tenant)) == 2


def test_bounded_count_annotation_stops_one_past_the_bound(tenant, bound_of_three):
    AgentFactory.create_batch(5, tenant=tenant)

    annotated = Tenant.objects.annotate(n=BoundedCount(User.objects.filter(tenant=tenant)))

    assert annotated.get(pk=tenant.pk).n == 4


def test_paginator_past_the_bound_pages_through_the_bound_only(tenant, bound_of_three):
    AgentFactory.create_batch(5, tenant=tenant)

    paginator = BoundedPaginator(User.objects.for_tenant(tenant).order_by("pk"), 2)

    assert (paginator.count, paginator.num_pages, paginator.is_over_bound) == (4, 2, True)


def test_paginator_given_an_exact_count_uses_it(tenant, bound_of_three):
    paginator = BoundedPaginator(User.objects.none(), 2, count=7)

    assert (paginator.count, paginator.num_pages, paginator.is_over_bound) == (7, 4, False)
