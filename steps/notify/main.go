// Command notify is the Lambda behind the scan workflow's Notify step
// (handler: workflow.Deps.Notify).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepNotify) }
