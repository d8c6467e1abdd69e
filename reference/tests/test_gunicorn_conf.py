"""gunicorn's settings for the scaled profile's REST workers (reference/config/gunicorn_conf.py)."""

import gc

from reference.config import gunicorn_conf


def test_a_worker_freezes_what_its_application_loaded():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0  # control: nothing frozen before the hook
    try:
        gunicorn_conf.post_worker_init(worker=None)

        assert gc.get_freeze_count() > 10_000  # Django, DRF and the project, loaded here too
    finally:
        gc.unfreeze()


def test_the_settings_gunicorn_reads_are_those_of_threaded_workers():
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.logger_class is gunicorn_conf.RedactingLogger
