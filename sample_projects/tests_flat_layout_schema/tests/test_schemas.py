import config_schemas


def test_v1_requires_name_and_port():
    assert config_schemas.required_keys(1) == ["name", "port"]
