"""Webhook subscriptions of API clients and their signed deliveries (Standard Webhooks)."""
