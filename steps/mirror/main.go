// Command mirror is the Lambda behind the scan workflow's Mirror step
// (handler: workflow.Deps.Mirror).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepMirror) }
