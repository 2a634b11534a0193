<#
.SYNOPSIS
  Install the canh agent on a Windows PC or server, enroll it, and run it as a scheduled task.

.DESCRIPTION
  Needs Python 3.11+ for all users (python.org installer: "Install for all users", or
  `winget install Python.Python.3.11 --scope machine`). Creates a virtual environment in
  %ProgramFiles%\canh-agent, installs canh from a wheel or the package index, keeps the agent's
  identity in %ProgramData%\canh-agent (readable by SYSTEM and Administrators only), enrolls with
  the bundle, and registers the task "canh agent" running as SYSTEM at start-up with the lowest
  priority. Re-running it upgrades canh and keeps the identity.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install-agent.ps1 -Bundle C:\temp\bvdk-bundle.txt

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install-agent.ps1 -Bundle bundle.txt -Package C:\temp\canh-0.1.0-py3-none-any.whl
#>
param(
    [Parameter(Mandatory = $true)][string]$Bundle,
    [string]$Package = "canh",
    [string]$Python = "py"
)
$ErrorActionPreference = "Stop"

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw "Run this script as Administrator."
}
if (-not (Test-Path $Bundle)) { throw "Bundle file not found: $Bundle" }

$app = Join-Path $env:ProgramFiles "canh-agent"
$data = Join-Path $env:ProgramData "canh-agent"
$venv = Join-Path $app ".venv"
$canh = Join-Path $venv "Scripts\canh.exe"
$config = Join-Path $data "agent.toml"

New-Item -ItemType Directory -Force -Path $app, $data | Out-Null
# Identity and spool: SYSTEM and Administrators only, no inheritance from ProgramData.
icacls $data /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" | Out-Null

if (-not (Test-Path $canh)) {
    & $Python -3.11 -m venv $venv
    if ($LASTEXITCODE -ne 0) { throw "Python 3.11 was not found: install it for all users first." }
}
& (Join-Path $venv "Scripts\python.exe") -m pip install --quiet --upgrade $Package
if ($LASTEXITCODE -ne 0) { throw "pip could not install $Package" }

if (-not (Test-Path $config)) {
    $dataToml = $data.Replace('\', '\\')
    Set-Content -Path $config -Encoding ascii -Value "data_dir = `"$dataToml`""
}
if (-not (Test-Path (Join-Path $data "state.json"))) {
    & $canh agent enroll "@$Bundle" --config $config
    if ($LASTEXITCODE -ne 0) { throw "Enrollment failed; see the message above." }
}

$action = New-ScheduledTaskAction -Execute $canh -Argument "agent run --config `"$config`""
$trigger = New-ScheduledTaskTrigger -AtStartup
$settings = New-ScheduledTaskSettingsSet -Priority 9 -RestartCount 999 `
    -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero) `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable
$task = New-ScheduledTaskPrincipal -UserId "SYSTEM" -LogonType ServiceAccount -RunLevel Highest
Register-ScheduledTask -TaskName "canh agent" -Action $action -Trigger $trigger `
    -Settings $settings -Principal $task -Force | Out-Null
Start-ScheduledTask -TaskName "canh agent"
& $canh agent status --config $config
