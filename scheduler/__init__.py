"""Time: the clock every part of the bot asks, and the jobs that run on the community's calendar."""
