// Command fetch is the Lambda behind the scan workflow's Fetch step
// (handler: workflow.Deps.Fetch).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepFetch) }
