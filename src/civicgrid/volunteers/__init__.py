"""Volunteer service (志愿服务): teams, activities and shifts, sign-ups, check-in/out, hours → points, records."""
