"""Courses: a series booked as one (全4回, 全8回), every date together, all or nothing."""
