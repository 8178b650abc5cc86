// Command store is the Lambda behind the scan workflow's Store step
// (handler: workflow.Deps.Store).
package main

import "github.com/lambdascan/lambdascan/shared/workflow"

func main() { workflow.Start(workflow.StepStore) }
