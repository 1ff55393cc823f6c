"""Scheduled launch plans: cron with a time zone, and a fixed rate (a port of flytekit's productionizing
lp_schedules.py)."""

import datetime

from flytec import CronSchedule, FixedRate, LaunchPlan, task, workflow


@task
def format_date(run_date: datetime.datetime, who: str) -> str:
    return "Hello %s, it is %s" % (who, run_date.isoformat())


@workflow
def date_formatter_wf(kickoff_time: datetime.datetime, who: str = "team") -> str:
    return format_date(run_date=kickoff_time, who=who)


nightly = LaunchPlan.get_or_create(
    date_formatter_wf,
    name="scheduling.nightly",
    schedule=CronSchedule(schedule="30 2 * * *", kickoff_time_input_arg="kickoff_time", timezone="Europe/Berlin"),
    fixed_inputs={"who": "night shift"},
    labels={"team": "data"},
)

hourly = LaunchPlan.get_or_create(
    date_formatter_wf,
    name="scheduling.hourly",
    schedule=FixedRate(duration=datetime.timedelta(hours=1), kickoff_time_input_arg="kickoff_time"),
    fixed_inputs={"who": "robots"},
    max_parallelism=4,
)
