// Command tag is the Lambda behind the scan workflow's Tag step
// (handler: workflow.Deps.Tag).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepTag) }
