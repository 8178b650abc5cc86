// Command validate is the Lambda behind the scan workflow's Validate step
// (handler: workflow.Deps.Validate).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepValidate) }
