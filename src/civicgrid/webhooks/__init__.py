"""Webhooks (Standard Webhooks): subscriptions per API client, signed delivery by the worker, replay."""
