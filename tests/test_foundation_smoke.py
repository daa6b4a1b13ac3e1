"""A first check that the fixtures build a working app on every database."""


def test_config_answers(client, auth):
    response = client.get("/cs/api/v1/config", headers=auth("cs:config:read"))
    assert response.status_code == 200
    assert response.get_json()["data"]["system"]["time_zone"] == "America/Phoenix"
