// Command selfskip is the Lambda behind the scan workflow's SelfSkip step
// (handler: workflow.Deps.SelfSkip).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepSelfSkip) }
