// Command scan is the Lambda behind the scan workflow's Scan step
// (handler: workflow.Deps.Scan).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepScan) }
