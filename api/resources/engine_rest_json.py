"""Camunda 7 REST shapes: typed variables, dates, error bodies and the DTOs our rows become."""
import json

from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from engine import errors as engine_errors, reported_retries

INT_RANGE = 2**31
STATUS = {engine_errors.NotFound: 404, engine_errors.Conflict: 409, engine_errors.Forbidden: 403,
          engine_errors.InvalidTransition: 409, engine_errors.Invalid: 400,
          engine_errors.DeployRejected: 400, engine_errors.ProcessFailure: 400}


class InvalidRequest(Exception):
    """Camunda's InvalidRequestException: a 400 naming what was wrong."""


def camunda_date(moment) -> str | None:
    """Camunda's default date format; our datetimes are naive China time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0800") if moment else None


def error(status: int, kind: str, message: str, **extra):
    response = jsonify({"type": kind, "message": message, **extra})
    response.status_code = status
    return response


def register_errors(blp) -> None:
    """Answers under /engine-rest in Camunda's error shape instead of ours."""
    @blp.errorhandler(InvalidRequest)
    def _invalid(exc):
        return error(400, "InvalidRequestException", str(exc))

    @blp.errorhandler(engine_errors.EngineError)
    def _engine(exc):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        kinds = {404: "InvalidRequestException", 403: "AuthorizationException", 409: "RestException"}
        problems = exc.as_problems()
        message = "；".join(p.message for p in problems) or exc.message
        # Camunda clients read type and message; ours may read each problem (field, code, message)
        return error(status, kinds.get(status, "ProcessEngineException"), message,
                     errors=[p.as_dict() for p in problems])

    @blp.errorhandler(ValidationError)
    def _validation(exc):
        return error(400, "InvalidRequestException", json.dumps(exc.messages, ensure_ascii=False))

    @blp.errorhandler(HTTPException)
    def _http(exc):
        data = getattr(exc, "data", None) or {}
        if "messages" in data:
            return error(400, "InvalidRequestException", json.dumps(data["messages"], ensure_ascii=False))
        kinds = {401: "AuthenticationException", 403: "AuthorizationException"}
        response = error(exc.code, kinds.get(exc.code, "RestException"), exc.description or exc.name)
        if exc.code == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="engine-rest", Bearer realm="engine-rest"'
        return response


# -- typed variables ---------------------------------------------------------------------------

def _typed_in(name: str, var) -> object:
    if not isinstance(var, dict) or "value" not in var and var.get("type") not in ("Null", "null"):
        raise InvalidRequest(f"变量 {name} 须为 {{\"value\": …, \"type\": …}}")
    kind, value = (var.get("type") or "").lower(), var.get("value")
    info = var.get("valueInfo") or {}
    try:
        if value is None or kind == "null":
            return None
        if kind in ("", "string", "date"):
            return value
        if kind == "boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        if kind in ("integer", "long", "short"):
            return int(value)
        if kind == "double":
            return float(value)
        if kind == "json" or (kind == "object" and "json" in str(info.get("serializationDataFormat", "json"))):
            return json.loads(value) if isinstance(value, str) else value
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"变量 {name} 的值不是有效的 {var.get('type')}：{exc}") from None
    raise InvalidRequest(f"变量 {name} 的类型 {var.get('type')} 不受支持")


def variables_in(raw) -> dict:
    """``{"name": {"value": v, "type": "String"}}`` (typed or untyped) to plain values."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequest("variables 须为对象")
    return {name: _typed_in(name, var) for name, var in raw.items()}


def typed_out(value) -> dict:
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if -INT_RANGE <= value < INT_RANGE else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, ensure_ascii=False, default=str), "valueInfo": {}}


def variables_out(values: dict, names: list[str] | None = None) -> dict:
    wanted = values if names is None else {n: values[n] for n in names if n in values}
    return {name: typed_out(value) for name, value in wanted.items()}


# -- DTOs ----------------------------------------------------------------------------------------

def definition_key(definition_id: str) -> str:
    return definition_id.split(":", 1)[0]


def external_task_dto(task, case, worker_id=None) -> dict:
    return {
        "activityId": task.bpmn_id, "activityInstanceId": f"{task.bpmn_id}:{task.id}",
        "errorMessage": task.error_message, "errorDetails": task.error_details, "executionId": task.id,
        "id": task.id, "lockExpirationTime": camunda_date(task.lock_expires_at),
        "createTime": camunda_date(task.created_at),
        "processDefinitionId": task.definition_id, "processDefinitionKey": definition_key(task.definition_id),
        "processDefinitionVersionTag": None, "processInstanceId": task.case_id,
        "retries": reported_retries(task),
        "suspended": False, "workerId": worker_id or task.lock_owner, "topicName": task.topic,
        "tenantId": None, "priority": 0, "businessKey": case.business_key if case else None,
    }


def locked_task_dto(locked, names=None, extension_properties=False) -> dict:
    dto = {**external_task_dto(locked.task, locked.case), "variables": variables_out(locked.variables, names)}
    if extension_properties:
        dto["extensionProperties"] = {k: str(v) for k, v in (locked.task.properties or {}).items()}
    return dto


def definition_dto(definition) -> dict:
    return {"id": definition.id, "key": definition.key, "category": "http://bpmn.io/schema/bpmn",
            "description": None, "name": definition.name, "version": definition.version,
            "resource": definition.resource_name, "deploymentId": definition.deployment_id, "diagram": None,
            "suspended": False, "tenantId": None, "versionTag": None, "historyTimeToLive": None,
            "startableInTasklist": True}


def deployment_dto(deployment, base_url: str, definitions=None) -> dict:
    return {"links": [{"method": "GET", "href": f"{base_url}deployment/{deployment.id}", "rel": "self"}],
            "id": deployment.id, "name": deployment.name, "source": deployment.source,
            "deploymentTime": camunda_date(deployment.deployed_at), "tenantId": deployment.tenant_id,
            "deployedProcessDefinitions": {d.id: definition_dto(d) for d in definitions} if definitions else None,
            "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
            "deployedDecisionRequirementsDefinitions": None}


def instance_dto(case, base_url: str) -> dict:
    from engine import CaseStatus
    return {"links": [{"method": "GET", "href": f"{base_url}process-instance/{case.id}", "rel": "self"}],
            "id": case.id, "definitionId": case.definition_id, "definitionKey": definition_key(case.definition_id),
            "businessKey": case.business_key, "caseInstanceId": None,
            "ended": not CaseStatus(case.status).is_open, "suspended": False, "tenantId": None}
