BASE = "/open311/v2"
