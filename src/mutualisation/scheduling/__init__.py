"""Scheduling: the record of every scheduled job's run, and the admin page that shows them.

The runner itself (leader election, APScheduler) is `mutualisation/scheduler.py`; the type a domain
uses to declare a job is `mutualisation/declarations.py`.
"""
