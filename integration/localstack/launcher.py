# Starts moto_server with the moto 5.2.1 bugs the local stack trips over
# worked around in-process (all fixed upstream later):
#  - getmoto/moto#10077: only the first StartExecution per account/region
#    works ("cannot pickle '_thread.RLock'") because StartExecution deep-copies
#    the state machine together with its backend and executions (fix #10093).
import copy
import sys

from moto.stepfunctions import models as sfn_models


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

from moto.server import main  # noqa: E402

main(sys.argv[1:])
