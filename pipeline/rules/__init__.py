"""Rules the software enforces on cases: flow order, notice periods, deadlines (限时办结)."""
