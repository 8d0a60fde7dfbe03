"""fetchAndLock long polling: at most LONG_POLL_SLOTS requests wait at once; the rest answer at once."""
import threading
import time

WORKER = {"Authorization": "Basic d29ya2VyOmRlbW8="}  # worker:demo
BODY = {"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 3000,
        "topics": [{"topicName": "birth_certificate.issue", "lockDuration": 1000}]}


def test_a_second_long_poll_beyond_the_slots_answers_at_once_and_the_slot_comes_back(make_app):
    from api.cli import initialise
    app = make_app(LONG_POLL_SLOTS=1)
    initialise(app)
    took = {}

    def poll(name):
        started = time.monotonic()
        response = app.test_client().post("/engine-rest/external-task/fetchAndLock", json=BODY, headers=WORKER)
        took[name] = (time.monotonic() - started, response.status_code, response.get_json())

    first = threading.Thread(target=poll, args=("first",))
    first.start()
    time.sleep(0.5)  # the first holds the only slot, waiting for work that does not come
    poll("second")
    first.join()
    assert took["second"][1:] == (200, []) and took["second"][0] < 1.5  # no slot: answered at once
    assert took["first"][1:] == (200, []) and took["first"][0] >= 2.5  # waited its asyncResponseTimeout
    poll("third")  # the slot was given back
    assert took["third"][0] >= 2.5
