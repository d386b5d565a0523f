"""Which lessons follow the new protocol (trainlab.lab.lesson) and which the old one, until every lesson has moved."""

from trainlab.lab.lesson import LessonModule, list_lessons, load_lesson

NEW_LESSONS = [name for name in list_lessons() if isinstance(load_lesson(name), LessonModule)]
LEGACY_LESSONS = [name for name in list_lessons() if name not in NEW_LESSONS]
