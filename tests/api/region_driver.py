"""Driving one region's case over HTTP: the family submits, clerks of each lane work their tasks,
the family does its own (applicant) tasks, the in-process worker does the service tasks."""
from engine import FAMILY_GROUP
from tests.api.helpers import User, worker_for

ACCEPT = {"acceptance_review": {"decision": "accept"}}


class RegionDriver:
    def __init__(self, app, region: str):
        self.app, self.region = app, region
        self.client = app.test_client()
        self.family = User(self.client, f"{region}.family")
        self.supervisor = User(self.client, f"{region}.supervisor")
        self.worker = worker_for(app)
        self._clerks: dict[str, User] = {}
        self.worked: list[str] = []  # form keys / bpmn ids of user tasks, in the order they were done
        self.case_id = None

    def clerk(self, lane: str) -> User:
        if lane not in self._clerks:
            self._clerks[lane] = User(self.client, f"{self.region}.{lane}")
        return self._clerks[lane]

    def submit(self, items: list[str], form: dict, expect: int = 201) -> dict:
        response = self.family.post("/api/v1/cases", json={"region": self.region, "items": items, "form": form})
        assert response.status_code == expect, response.get_json()
        body = response.get_json()
        if expect == 201:
            self.case_id = body["id"]
        return body

    def case(self) -> dict:
        response = self.family.get(f"/api/v1/cases/{self.case_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def items(self) -> dict[str, tuple[str, str]]:
        """item code -> (status, label)."""
        return {i["code"]: (i["status"], i["label"]) for i in self.case()["items"]}

    def open_tasks(self, state: str = "open") -> list[dict]:
        response = self.supervisor.get(f"/api/v1/tasks?case={self.case_id}&state={state}&per_page=100")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def family_tasks(self) -> list[dict]:
        response = self.family.get(f"/api/v1/cases/{self.case_id}/family-tasks")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def work(self, task: dict, data: dict) -> None:
        if FAMILY_GROUP in task["candidate_groups"]:
            response = self.family.post(f"/api/v1/cases/{self.case_id}/family-tasks/{task['id']}/complete",
                                        json={"data": data})
        else:
            clerk = self.clerk(task["candidate_groups"][0])
            claimed = clerk.post(f"/api/v1/tasks/{task['id']}/claim")
            assert claimed.status_code == 200, claimed.get_json()
            response = clerk.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == 200, (task["bpmn_id"], response.get_json())
        self.worked.append(task["bpmn_id"])

    def run(self, answers: dict, observe=None, rounds: int = 30) -> dict:
        """Until nothing moves: worker drains, then every open user task is answered once.

        ``answers`` maps a form key (or bpmn id) to the task's data, or to a list of data used in turn
        (a task met twice, e.g. a pre-review that fails once). ``observe(driver, open_tasks)`` is called
        after every drain, so a test can assert what exists at each point.
        """
        answers = {k: (list(v) if isinstance(v, list) else v) for k, v in answers.items()}
        for _ in range(rounds):
            handled = self.worker.drain()
            tasks = self.open_tasks()
            if observe:
                observe(self, tasks)
            for task in tasks:
                self.work(task, _answer(answers, task))
            if not handled and not tasks:
                return self.case()
        raise AssertionError(f"case {self.case_id} did not settle: {self.open_tasks()}")


def _answer(answers: dict, task: dict) -> dict:
    for key in (task["bpmn_id"], task["form_key"]):
        if key in answers:
            value = answers[key]
            return value.pop(0) if isinstance(value, list) else value
    return {}
