"""Annual work targets of the zones (年度工作目标): proposal, approval, tracking, completion."""
