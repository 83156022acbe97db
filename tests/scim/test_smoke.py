def test_service_provider_config_answers_with_a_valid_token(scim_client):
    response = scim_client.get("/scim/v2/ServiceProviderConfig")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
