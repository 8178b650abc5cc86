// Command metrics is the Lambda behind the scan workflow's Metrics step
// (handler: workflow.Deps.Metrics).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepMetrics) }
