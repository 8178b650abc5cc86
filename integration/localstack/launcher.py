# Starts moto_server with the moto 5.2.1 bugs and gaps the local stack trips
# over worked around in-process:
#  - getmoto/moto#10077: only the first StartExecution per account/region
#    works ("cannot pickle '_thread.RLock'") because StartExecution deep-copies
#    the state machine together with its backend and executions (fix #10093).
import copy
import sys

# What is missing is said here, before anything else runs, with an exit
# code the Go side (stack.go) turns into the install command.
try:
    import flask  # noqa: F401  (moto[server]'s extra)
    import moto
except ImportError as e:
    print("missing module: %s" % e.name, flush=True)
    sys.exit(4)
if not moto.__version__.startswith("5."):
    print("moto %s is installed" % moto.__version__, flush=True)
    sys.exit(5)

from moto.stepfunctions import models as sfn_models  # noqa: E402


def _state_machine_deepcopy(self, memo):
    cls = self.__class__
    clone = cls.__new__(cls)
    memo[id(self)] = clone
    for key, value in self.__dict__.items():
        if key in ("backend", "executions"):
            setattr(clone, key, value)
        else:
            setattr(clone, key, copy.deepcopy(value, memo))
    return clone


sfn_models.StateMachine.__deepcopy__ = _state_machine_deepcopy

#  - Code locations: AWS answers GetFunction's Code.Location and
#    GetLayerVersion's Content.Location with presigned S3 URLs that anyone
#    holding them can GET; moto answers an unsigned S3 URL (functions) or
#    "s3://" (layers). Presign both against the local endpoint (MOTO_PORT,
#    the proxy) so every client downloads code as it would from AWS.
import os  # noqa: E402

from moto.awslambda import models as lambda_models  # noqa: E402

_presigner = None


def _presigned(region, bucket, key):
    global _presigner
    if _presigner is None:
        import boto3
        from botocore.config import Config

        _presigner = boto3.client(
            "s3", region_name=region, endpoint_url=f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '5000')}",
            aws_access_key_id="test", aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
    return _presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)


_get_layer_version = lambda_models.LayerVersion.get_layer_version


def _layer_version_with_location(self):
    out = _get_layer_version(self)
    bucket, key = self.content.get("S3Bucket"), self.content.get("S3Key")
    if bucket and key:
        out["Content"]["Location"] = _presigned(self.region, bucket, key)
    return out


lambda_models.LayerVersion.get_layer_version = _layer_version_with_location

_get_code = lambda_models.LambdaFunction.get_code


def _code_with_presigned_location(self):
    out = _get_code(self)
    if "S3Key" in self.code and "Code" in out:
        out["Code"]["Location"] = _presigned(self.region, self.code["S3Bucket"], self.code["S3Key"])
    return out


lambda_models.LambdaFunction.get_code = _code_with_presigned_location

#  - The states:startExecution(.sync) task calls boto3 with the ASL's
#    parameter names (StateMachineArn, Input, Name) where boto3 wants
#    stateMachineArn, input, name, and reads the response as ExecutionArn
#    where boto3 returns executionArn (LocalStack normalises both ways; the
#    port to moto dropped it). Child executions of a bulk run need it.
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: E402
    state_task_service_sfn as sfn_task,
)

_sfn_normalise = sfn_task.StateTaskServiceSfn._normalise_parameters
_sfn_eval = sfn_task.StateTaskServiceSfn._eval_service_task


def _sfn_normalise_to_boto(self, parameters, boto_service_name=None, service_action_name=None):
    _sfn_normalise(self, parameters, boto_service_name, service_action_name)
    for key in list(parameters):
        if key[:1].isupper():
            parameters[key[0].lower() + key[1:]] = parameters.pop(key)


def _sfn_eval_to_asl(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    _sfn_eval(self, env, resource_runtime_part, normalised_parameters, state_credentials)
    out = env.stack.pop()
    env.stack.append({key[0].upper() + key[1:]: value for key, value in out.items()})


sfn_task.StateTaskServiceSfn._normalise_parameters = _sfn_normalise_to_boto
sfn_task.StateTaskServiceSfn._eval_service_task = _sfn_eval_to_asl

#  - A Task whose Resource is a function ARN names a failed Invoke call
#    (throttling, a 5xx of the Lambda service) "Exception"; Step Functions
#    names it "Lambda.<error code>" (Lambda.TooManyRequestsException,
#    Lambda.ServiceException), which the ASL's Retry lists.
from botocore.exceptions import ClientError  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName  # noqa: E402
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda  # noqa: E402

_lambda_from_error = state_task_lambda.StateTaskLambda._from_error


def _lambda_client_error_named(self, env, ex):
    event = _lambda_from_error(self, env, ex)
    if isinstance(ex, ClientError):
        name = "Lambda." + ex.response["Error"]["Code"]
        event.error_name = CustomErrorName(name)
        for details in (event.event_details or {}).values():
            details["error"] = name
    return event


state_task_lambda.StateTaskLambda._from_error = _lambda_client_error_named

from moto.server import main  # noqa: E402

main(sys.argv[1:])
